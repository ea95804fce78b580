"""Platform adapters: each turns its platform's events into service calls and performs the actions."""
