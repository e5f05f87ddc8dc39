"""officers"""
