"""Manim scenes of the CNN lecture: they draw values from cnnviz and compute nothing."""
