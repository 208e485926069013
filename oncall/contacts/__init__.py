"""Contacts room: how each person is reached (contact methods and the delivery
``channels``) and their on-call preferences."""
