"""The marketplace: consultations, lots, criteria, documents, questions, sealed bids, opening, evaluation, award,
and the DECP feed each award publishes for the observatory."""
