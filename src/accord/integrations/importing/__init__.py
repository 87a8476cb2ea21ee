"""Importing records from CSV and XLSX files exported by other CRMs and marketing tools."""
