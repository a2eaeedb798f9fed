"""The catalogue of emulation titles (danh hiệu thi đua) and commendation forms (hình thức khen
thưởng), the legal documents behind them, and the quota rules. Everything here is data with a legal
reference and an effective period, editable by an admin, never a constant in code."""
