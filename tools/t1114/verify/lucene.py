LANGUAGE = "lucene"
