"""Tests of the Microsoft Teams edge."""
