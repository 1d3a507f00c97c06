"""Tests of the rules classifier of free text and its lexicon."""
