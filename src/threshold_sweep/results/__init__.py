"""Reading finished run folders back."""
