app = 2
