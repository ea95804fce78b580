"""The shipped model of the learned stage (``default.qtm``) and its card (``MODEL_CARD.md``)."""
