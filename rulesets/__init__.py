"""The shipped rulesets (YAML files here); installed as the package ``bot.rulesets`` so a wheel
carries them. Nothing to import: ``bot.shipped`` finds the folder."""
