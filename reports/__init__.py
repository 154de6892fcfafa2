"""Generated HTML performance and validation reports."""
