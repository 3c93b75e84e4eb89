//! CSV import of members (`name,email` header), with a dry run that writes nothing.
