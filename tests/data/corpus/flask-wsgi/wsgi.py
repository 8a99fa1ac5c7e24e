from service import create_app

application = create_app()
