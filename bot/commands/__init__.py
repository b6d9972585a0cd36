"""`/accountability`: the grammar, the table of subcommands, the runner, forms and the CSV importer."""
