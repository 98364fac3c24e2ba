"""Exports (.xlsx with openpyxl's write-only mode, PDF)."""
