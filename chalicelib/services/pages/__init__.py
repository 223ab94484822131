"""Publishing hosted pages to the page store."""
