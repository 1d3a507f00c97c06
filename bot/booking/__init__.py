"""Booking: matching leaders with coaches, open slots, sessions, invites, reminders, calendars."""
