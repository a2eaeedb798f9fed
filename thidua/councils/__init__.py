"""Emulation and commendation councils (Hội đồng Thi đua - Khen thưởng): members and terms,
sessions with attendance and agenda, conflict-of-interest recusal, score sheets, the secret ballot
with its legal thresholds, and the minutes."""
