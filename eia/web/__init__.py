"""Web layer: blueprints with thin views. Parse input, call one service, render or redirect."""
