"""Between-session nudges: reflection prompts and goal check-ins, scheduled as rows."""
