"""The weekly report (周报, issue 20): per street and community, as XLSX and PDF.

``content.build`` gathers a week's figures and open problems; ``xlsx`` and ``pdf`` render
them; ``store.generate`` keeps the files and one row per region, week and language;
``weekly.run`` is the Monday job; ``archive`` lists and serves them by region.
"""
