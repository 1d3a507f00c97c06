"""Rules that sort a leader's free text into risk, logistics or developmental."""
