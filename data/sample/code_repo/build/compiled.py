def compiled():
    return 1
