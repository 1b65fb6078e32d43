"""The notes app: a personal secretary that files what users send into the right forum topic."""
