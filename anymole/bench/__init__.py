"""`anymole bench …` harnesses: quality and speed targets live here, never in timed tests."""
