"""The ground floor: what a record goes through wherever it is (preparation, filters run by
Python 3.12's rules, the standard attribute names) and logboot's own voice on stderr.

Modules here import nothing else of logboot; every other folder may import them.
"""
