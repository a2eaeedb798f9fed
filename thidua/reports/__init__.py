"""Reports: the annual report on emulation and commendation work and the sector's statistical forms
0601.N, 0602.N, 0603.N (Thông tư 02/2023/TT-BNV), filled from the records, each number traceable to the rows
behind it, as pages, .xlsx and PDF."""
