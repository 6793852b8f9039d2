print("rct")
