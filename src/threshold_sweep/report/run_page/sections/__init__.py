"""The run page's sections and opening lines, one module each."""
