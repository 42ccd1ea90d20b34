"""The source documents' networks, one runnable script each (also `tinygrad_gd.examples`)."""
