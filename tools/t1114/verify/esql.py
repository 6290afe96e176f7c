LANGUAGE = "esql"
