def test_register():
    pass
