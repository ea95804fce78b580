"""The database migrations, one folder per backend; installed as the package ``bot.migrations``
so a wheel carries them. Nothing to import: ``bot.shipped`` finds the folder."""
