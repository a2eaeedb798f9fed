"""Public notice (công khai, lấy ý kiến nhân dân): the candidates for a form published for a set
period on a page anyone can read, and the comments people send about them (kept, never published)."""
