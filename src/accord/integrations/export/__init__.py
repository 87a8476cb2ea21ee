"""Exporting lists to CSV and Parquet."""
