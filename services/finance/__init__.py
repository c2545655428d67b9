"""Tech-finance support records (邑科贷 loans, interest subsidies, S&T insurance) and listings."""
