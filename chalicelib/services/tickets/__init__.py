"""Support tickets for customer accesses: the desk's settings, each customer's
integration, tickets with their positions and attachments, what a customer's person sees
(one visibility rule), and the e-mails tickets call for."""
