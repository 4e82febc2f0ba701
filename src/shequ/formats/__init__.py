"""Number formats per language (``FORMAT_MODULE_PATH``): grouped thousands in both languages.

Django's zh_Hans formats have no thousands separator, so "1,700,000,000 records" read
"1700000000" in Chinese while English grouped them. Both group by three with a comma, as
Chinese government statistics print them; dates and times keep Django's own formats.
"""
