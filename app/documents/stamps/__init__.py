"""The per-downloader stamp on each file format, one module per family; `app.documents.watermark` chooses."""
