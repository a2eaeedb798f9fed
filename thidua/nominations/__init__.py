"""Nominations (hồ sơ đề nghị khen thưởng): the dossiers units file online, their attachments and
submission letters (tờ trình), and the one workflow that moves them from draft to awarded."""
