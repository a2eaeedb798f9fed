"""Emulation campaigns (phong trào thi đua): their period, goals and documents, their status, and the
units that register for them (đăng ký thi đua) with their commitments."""
