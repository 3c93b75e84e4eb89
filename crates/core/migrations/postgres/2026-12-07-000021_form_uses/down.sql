DROP TABLE form_uses;
