"""Blueprints, one per audience. Views parse input, call one service, render or redirect."""
