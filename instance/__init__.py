"""The instance folder: configuration classes, and the embedded SQLite database in development."""
