"""Egalim: the food-quality shares of collective catering purchases (code rural L230-5-1), per restaurant,
group of restaurants and year, from purchase lines in the national canteen tool's format."""
