def leftpad(text, width):
    return text.rjust(width)
