#!/bin/sh
echo hi   
