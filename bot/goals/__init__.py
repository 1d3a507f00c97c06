"""Goals on Goal Attainment Scaling: levels, check-ins and T-scores."""
