"""Meetings of the working groups: times across the four capitals, agendas, attendance, minutes and calendars."""
