from fastapi import APIRouter

from ..dependencies import get_token_header

router = APIRouter(prefix='/items')
