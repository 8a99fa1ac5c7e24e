async def get_token_header():
    return None
